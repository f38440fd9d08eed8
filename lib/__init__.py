"""The portal's domain layer: plain Python over SQLite, no Streamlit (except lib/ui.py)."""

"""The framework's floor: a Streamlit page that does next to nothing."""
import streamlit as st


st.write("空白页")

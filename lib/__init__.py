"""The portal's code by layer: core, people, points, the features (reports, ...), then the site.

See the README's layout section for the map; tests/test_house_rules.py keeps imports flowing down.
"""

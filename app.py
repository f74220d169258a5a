"""Entry point: the router and the shared frame. Pages live in app_pages/ and hold no arithmetic."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

st.set_page_config(page_title="DeepSeek V4 cost calculator", page_icon=":material/calculate:", layout="wide")

pages = [
    st.Page(
        HERE / "app_pages" / "calculator.py", title="Calculator", icon=":material/calculate:", default=True
    ),
    st.Page(HERE / "app_pages" / "attention_lab.py", title="Attention lab", icon=":material/memory:"),
    st.Page(HERE / "app_pages" / "catalogue.py", title="Catalogue", icon=":material/table:"),
    st.Page(HERE / "app_pages" / "methods.py", title="Methods & validation", icon=":material/science:"),
]
page = st.navigation(pages, position="top")
page.run()

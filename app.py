"""Entry point: the router and the shared frame. Pages live in app_pages/ and hold no arithmetic.

State that must survive page switches (the scenario, the user's catalogue overrides) is created here with
``st.session_state.setdefault`` (see ``app_pages/common.py``). Any exception a page lets through is caught at
this boundary and shown as one ``st.error`` line: never a traceback.
"""

from pathlib import Path

import streamlit as st

from app_pages import common

HERE = Path(__file__).parent

st.set_page_config(page_title="DeepSeek V4 cost calculator", page_icon=":material/calculate:", layout="wide")
common.init_state()

pages = [
    st.Page(
        HERE / "app_pages" / "calculator.py", title="Calculator", icon=":material/calculate:", default=True
    ),
    st.Page(HERE / "app_pages" / "attention_lab.py", title="Attention lab", icon=":material/memory:"),
    st.Page(HERE / "app_pages" / "catalogue.py", title="Catalogue", icon=":material/table:"),
    st.Page(HERE / "app_pages" / "economics.py", title="Provider economics", icon=":material/payments:"),
    st.Page(HERE / "app_pages" / "methods.py", title="Methods & validation", icon=":material/science:"),
]
# The page links are drawn in the page, in one row that wraps: on a phone Streamlit would move a "top" menu into a
# sidebar that stays open over the page after a choice; a row of links never covers anything.
page = st.navigation(pages, position="hidden")
with st.container(horizontal=True, key="app_nav", gap="small"):
    for p in pages:
        st.page_link(p, label=p.title, icon=p.icon)
try:
    page.run()
except Exception as e:  # the page boundary: one line, no traceback (st.rerun/st.stop are BaseException)
    common.show_unexpected(e)

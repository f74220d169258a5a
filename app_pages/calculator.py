"""Placeholder page (calculator); being built."""

import streamlit as st

from app_pages import common

common.init_state()
st.info("This page is being built.", icon=":material/construction:")

"""Placeholder page (calculator); filled in by the app issue."""

import streamlit as st

st.header("calculator")
st.info("This page is being built.")

"""Placeholder page (methods); filled in by the app issue."""

import streamlit as st

st.header("methods")
st.info("This page is being built.")

"""Placeholder page (catalogue); filled in by the app issue."""

import streamlit as st

st.header("catalogue")
st.info("This page is being built.")

"""Placeholder page (attention_lab); filled in by the app issue."""

import streamlit as st

st.header("attention_lab")
st.info("This page is being built.")

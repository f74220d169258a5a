"""Page scripts for the app (run by ``st.navigation`` in ``app.py``) and their shared helpers."""

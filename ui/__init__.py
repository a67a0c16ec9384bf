"""Streamlit-side helpers shared by the pages: the store, cached queries, common page parts."""

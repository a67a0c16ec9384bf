"""The console served as a web application: st.App (Streamlit's ASGI app, run by uvicorn) with the
console's own routes (login, logout, /healthz, /api/v1/) and middleware (security headers, the login gate).

    python -m server --port 8501        (what `make run` does; always on 127.0.0.1 unless --address says)
"""

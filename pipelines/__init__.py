"""复工态势台 pipelines: everything between an uploaded workbook and a figure on a page. Never imports Streamlit."""

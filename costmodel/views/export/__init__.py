"""Export writers: CSV, XLSX, Markdown, JSON."""

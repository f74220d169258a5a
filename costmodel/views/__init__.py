"""What people and machines read: verdict, tables, formats, charts, exports and URL codecs."""

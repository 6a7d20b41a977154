"""Files every server can read: uploads and generated files kept in the database.

Entry points: `services.save_file` / `file_content` / `delete_files`, `models.StoredFile` (uploads)
and `models.GeneratedFile` (reports and exports made by the task queue).
"""

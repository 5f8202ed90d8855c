"""Names of the files in a till's data dir that more than one process opens.

No imports: the Qt UI process reads these too, and it must never load Automerge
(``sync.data_dir`` imports the document storage, which does).
"""

LOCK_FILE = "writer.lock"
POINTER_FILE = "shop.json"  # which shop this till belongs to
READ_MODEL_FILE = "read_model.sqlite3"
ENGINE_INFO_FILE = "engine.json"  # the running engine's address, token and pid
BACKUP_STATE_FILE = "backup_state.json"  # when and where the last backup was made

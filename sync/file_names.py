"""Names of the files in a till's data dir that more than one process opens.

No imports: the Qt UI process reads these too, and it must never load Automerge
(``sync.data_dir`` imports the document storage, which does).
"""

LOCK_FILE = "writer.lock"
POINTER_FILE = "shop.json"  # which shop this till belongs to
READ_MODEL_FILE = "read_model.sqlite3"
ENGINE_INFO_FILE = "engine.json"  # the running engine's address, token and pid
STAFF_SESSION_FILE = "staff_session.json"  # who is signed in at this till (till-local)
MAILBOX_FILE = "mailbox.json"  # this till's mailbox settings and password (0600)
MAIL_DIR = "mail"  # raw messages, attachments and the IMAP state of this till's mailbox
MAILBOX_STATE_FILE = "imap_state.json"  # inside MAIL_DIR
BACKUP_STATE_FILE = "backup_state.json"  # when and where the last backup was made

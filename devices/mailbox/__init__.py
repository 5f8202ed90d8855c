"""The email channel: IMAP in, SMTP out, run by the engine of the till that owns the mailbox.

Like the modem, each part is a sans-IO core plus a thin transport:

- ``mail_parse``: RFC 5322 bytes in, a ``ParsedMail`` out (bodies, charsets, attachments,
  threading headers, defects), or ``MailUnreadable``; ``reply_text`` trims quoted replies
  and signatures for the preview (the full text is kept).
- ``mail_compose``: an outgoing message (reply headers, a Message-ID fixed by the outbox
  id, so a retry is the same message) as bytes.
- ``mail_store``: raw sources and attachments on disk under the data dir (0600 files,
  fsynced, named by content hash so a re-fetch writes nothing new).
- ``imap_state``: UIDVALIDITY and the last UID per folder, fsynced, so a restart neither
  misses nor repeats a message.
- ``imap_driver``: one thread owns the IMAP connection (``imapclient``): catch-up, IDLE
  with a periodic poll as fallback, reconnect with backoff; a message is flagged
  ``\\Seen`` (or moved) only after ``sink.deliver`` returned.
- ``smtp_sender``: one thread sends what the outbox submits (``smtplib``, TLS).
"""

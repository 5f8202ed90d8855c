"""Real mail servers on loopback for the email tests: Dovecot (IMAP) and aiosmtpd (SMTP).

``Dovecot`` runs a private instance (its own config, ports, users and mail in a temp
dir, listening on 127.0.0.1 only; never the system service) with implicit TLS and
STARTTLS/plain listeners, signed by a throwaway CA made here. ``ensure_dovecot`` installs
Debian's ``dovecot-imapd`` when it is missing and we are root (CI is), so ``make test``
works from a clean machine. ``SmtpServer`` is aiosmtpd listening on loopback with
STARTTLS and AUTH; what it accepts it keeps, and files into the recipient's Dovecot
mailbox by IMAP APPEND, so a reply can be checked where a customer would read it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.waiting import wait_until

PASSWORD = "s3cret-pass"
USERS = ("shop", "customer")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_dovecot() -> str:
    """The ``dovecot`` binary, installed from Debian when missing (root only)."""
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot")
                                        .exists() else None)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "dovecot-imapd"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True,
                           check=False)
            subprocess.run(install, env=env, capture_output=True, check=True)
        found = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if Path(found).exists():
            return found
    if os.environ.get("CI"):
        pytest.fail("Dovecot is needed and could not be installed (root and apt-get)")
    pytest.skip("Dovecot is not installed and cannot be installed here (needs root)")


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1/localhost it signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Countertop test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


class Dovecot:
    """A private Dovecot on 127.0.0.1: ``imap_port`` (plain/STARTTLS), ``imaps_port``."""

    def __init__(self) -> None:
        self.binary = ensure_dovecot()
        self.root = Path(tempfile.mkdtemp(prefix="countertop-dovecot-"))
        self.root.chmod(0o755)  # the mail processes run as the dovecot user
        self.ca, self.cert, self.key = make_certificates(self.root)
        self.imap_port, self.imaps_port = _free_port(), _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        home = self.root / "home"
        home.mkdir()
        shutil.chown(home, "dovecot", "dovecot")
        (self.root / "users").write_text("".join(
            f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in USERS))
        self.config = self.root / "dovecot.conf"
        self.config.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_fsync = always
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={home}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")

    def start(self) -> Dovecot:
        self.proc = subprocess.Popen([self.binary, "-F", "-c", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def listening() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"dovecot exited: {self.proc.stderr.read()!r}"  # type: ignore[union-attr]
                                     f" {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.imaps_port), 0.5).close()
                return True
            except OSError:
                return False

        wait_until(listening, 20, what="dovecot listening")
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stderr is not None:
                proc.stderr.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def client(self, user: str = "shop") -> Any:
        """A logged-in IMAPClient over implicit TLS (the test's own view of a mailbox)."""
        import imapclient

        client = imapclient.IMAPClient("127.0.0.1", port=self.imaps_port, ssl=True,
                                       ssl_context=self.tls_context(), timeout=30)
        client.login(user, PASSWORD)
        return client

    def deliver(self, raw: bytes, user: str = "shop", folder: str = "INBOX") -> None:
        """Put a message in ``user``'s folder, as a delivery agent would (IMAP APPEND)."""
        client = self.client(user)
        try:
            client.append(folder, raw)
        finally:
            client.logout()

    def messages(self, user: str = "shop", folder: str = "INBOX") -> list[tuple[int, set[bytes],
                                                                            EmailMessage]]:
        """(uid, flags, message) of every message in ``user``'s ``folder``."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            if not uids:
                return []
            data = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"])
            return [(uid, set(data[uid][b"FLAGS"]),
                     message_from_bytes(data[uid][b"BODY[]"], policy=policy.default))
                    for uid in sorted(data)]  # type: ignore[misc]
        finally:
            client.logout()


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, srv: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        refused = [r for r in envelope.rcpt_tos if r in self.server.refuse]
        if refused:
            return f"550 5.1.1 <{refused[0]}>: mailbox unavailable"
        with self.server.lock:
            self.server.received.append((envelope.mail_from, list(envelope.rcpt_tos), data))
            self.server.received_at.append(time.perf_counter())
        if self.server.dovecot is not None:
            for rcpt in envelope.rcpt_tos:
                user = rcpt.partition("@")[0]
                if user in USERS:
                    self.server.dovecot.deliver(data, user=user)
        return "250 OK: queued"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with STARTTLS and AUTH (user shop); keeps what it accepts."""

    def __init__(self, dovecot: Dovecot | None = None) -> None:
        self.dovecot = dovecot
        self.port = _free_port()
        self.lock = threading.Lock()
        self.received: list[tuple[str, list[str], bytes]] = []
        self.received_at: list[float] = []  # time.perf_counter() of each accepted message
        self.refuse: set[str] = set()
        self.controller: Any = None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                         auth_data: Any) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"shop" \
                and auth_data.password == PASSWORD.encode()
            return AuthResult(success=ok)

        tls = None
        if self.dovecot is not None:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(str(self.dovecot.cert), str(self.dovecot.key))
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     tls_context=tls, authenticator=authenticate,
                                     auth_require_tls=tls is not None)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message_from_bytes(d, policy=policy.default)  # type: ignore[misc]
                    for _, _, d in self.received]


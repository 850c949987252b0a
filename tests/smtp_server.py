"""A real SMTP server on loopback for the deliver tests (aiosmtpd).

    python3 tests/smtp_server.py FOLDER [--tls] [--answer-delay SECONDS]

Prints its port when ready and runs until its stdin closes. Every accepted
message is stored as FOLDER/<n>.eml with its envelope recipients in
FOLDER/<n>.rcpt; every refusal is a line in FOLDER/refusals.log.

Behaviour the tests rely on:
- a recipient with "weigeren" in the address is refused for good (550);
- a recipient with "later" is refused once for a while (451), then accepted;
- with --answer-delay it stores each message, then waits that long before it
  answers, as a server scanning content does (benches/kill_harness.py kills
  deliver in that window);
- with --tls the server requires STARTTLS and authentication (user
  "wmo-monitor", password "geheim"), with a certificate from a fresh test CA
  written to FOLDER/ca.pem (trustme).
"""

import asyncio
import pathlib
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, folder: pathlib.Path, answer_delay: float = 0.0):
        self.folder = folder
        self.answer_delay = answer_delay
        self.count = 0
        self.delayed = set()

    def refuse(self, line: str, answer: str) -> str:
        with open(self.folder / "refusals.log", "a") as log:
            log.write(f"{line} {answer}\n")
        return answer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "weigeren" in address:
            return self.refuse(address, "550 5.1.1 mailbox unavailable")
        if "later" in address and address not in self.delayed:
            self.delayed.add(address)
            return self.refuse(address, "451 4.3.0 try again later")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = self.folder / f"{self.count:03}"
        stem.with_suffix(".eml").write_bytes(envelope.original_content)
        stem.with_suffix(".rcpt").write_text("\n".join(envelope.rcpt_tos) + "\n")
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return "250 2.0.0 Ok: queued as wmo%03d" % self.count


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"wmo-monitor" and auth_data.password == b"geheim"
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    folder = pathlib.Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    options = {}
    if "--tls" in sys.argv:
        import trustme

        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(folder / "ca.pem"))
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        options = dict(
            tls_context=context,
            require_starttls=True,
            auth_require_tls=True,
            auth_required=True,
            authenticator=authenticate,
        )
    port = free_port()
    delay = float(sys.argv[sys.argv.index("--answer-delay") + 1]) if "--answer-delay" in sys.argv else 0.0
    controller = Controller(Handler(folder, delay), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(port, flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()

"""Excel's default password: a workbook encrypted with "VelvetSweatshop" opens in Excel
without a prompt (Excel uses it for a workbook protected against changes but not against
opening), so it is decrypted here, in memory, and read like any other.

msoffcrypto-tool does the decryption, imported only when such a file arrives: where it is
missing (xlwings Lite's Pyodide may lack it) the file is refused as encrypted, as before.
A file with a real password is never guessed at: only the default one is tried.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

DEFAULT_PASSWORD = "VelvetSweatshop"
#: The key derivation's rounds: Excel and LibreOffice use 100,000 (about 0.3 s here, in
#: msoffcrypto's Python loop); a file asking for more is refused as encrypted rather than
#: spending seconds on it.
MAX_SPIN_COUNT = 100_000
#: An EncryptionInfo stream is a few KB of XML; more, or any DTD in it, is not Excel's.
MAX_INFO_BYTES = 64 * 1024
#: msoffcrypto decrypts a legacy .xls a byte at a time in Python lists: bounded.
MAX_XLS_STREAM_BYTES = 8 * 1024 * 1024

_SPIN = re.compile(rb'spinCount="(\d{1,12})"')


def with_default_password(source: Path | bytes) -> bytes | None:
    """The decrypted workbook (an .xlsx package or an .xls compound file), or None when it
    does not open with Excel's default password (or msoffcrypto-tool is not installed)."""
    try:
        import msoffcrypto
        import olefile
    except ImportError:
        return None
    try:
        raw = source.read_bytes() if isinstance(source, Path) else source
        with olefile.OleFileIO(raw) as ole:
            if ole.exists("EncryptionInfo"):
                with ole.openstream("EncryptionInfo") as stream:
                    info = stream.read(MAX_INFO_BYTES + 1)
                spin = _SPIN.search(info)
                if len(info) > MAX_INFO_BYTES or b"<!" in info or (spin and int(spin.group(1)) > MAX_SPIN_COUNT):
                    return None
            elif not ole.exists("Workbook") or ole.get_size("Workbook") > MAX_XLS_STREAM_BYTES:
                return None
        office = msoffcrypto.OfficeFile(io.BytesIO(raw))
        if office.format == "ooxml":
            office.load_key(password=DEFAULT_PASSWORD, verify_password=True)
        else:
            office.load_key(password=DEFAULT_PASSWORD)
        plain = io.BytesIO()
        office.decrypt(plain)
        return plain.getvalue()
    except Exception:  # a wrong password, or a damaged or hostile file: it stays encrypted
        return None

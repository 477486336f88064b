"""PDF files for tests, written byte by byte: pages of text lines in Helvetica.

Small and exact: each page's lines are drawn one under the other (an empty string leaves
a blank line), with an optional document information dictionary. No generator library
and no file from elsewhere: the bytes are the PDF 1.4 syntax itself.
"""

from __future__ import annotations


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A PDF whose page i draws `pages[i]`, line by line (no lines: a page without text)."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    kids = []
    number = 4
    for lines in pages:
        page, content = number, number + 1
        number += 2
        kids.append(f"{page} 0 R")
        drawn = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
        for line in lines:
            drawn += [f"({_escaped(line)}) Tj", "T*"] if line else ["T*"]
        # A page without text still draws something: a filled box, as a scan's image would.
        stream = "\n".join([*drawn, "ET"] if lines else ["72 600 200 100 re f"]).encode("cp1252")
        objects[content] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>"
        ).encode()
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    trailer_info = b""
    if info:
        fields = " ".join(f"/{key} ({_escaped(value)})" for key, value in info.items())
        objects[number] = f"<< {fields} >>".encode("cp1252")
        trailer_info = b" /Info %d 0 R" % number
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for key in sorted(objects):
        offsets[key] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (key, objects[key])
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[key] for key in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        trailer_info,
        xref,
    )
    return bytes(out)

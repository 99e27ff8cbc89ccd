#!/usr/bin/env python3
"""Writes a folder of valid Fiks Arkiv arkivmelding messages totalling about 100 MB.

The arkivmelding.opprett XSD allows at most one mappe and one registrering per message, so a large batch is
a file-drop folder of many messages, as an archive would deliver them. Each message holds a saksmappe with
its number, status, classifications and an external key, and a journalpost with two documents and two
correspondence parties; every fifth message is UTF-16 LE with CRLF, as real messages arrive.

Usage: generate.py OUT_DIR [TOTAL_MB]
"""
import os
import random
import sys

MDK = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"
STATUSES = "BAURSPF"
JSTATUSES = "JFGEAUMSR"
WORDS = ("digital byggesak innføring velferdsteknologi journal plattform samhandling oppvekst skole helse "
         "innbygger tjeneste kommune nettverk felles løsning anskaffelse drift gevinst risiko").split()


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def uuid(rng):
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def message(rng, i):
    year = 2020 + i % 6
    doc = f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1" xmlns:mdk="{MDK}">
  <system>Veikart benchmark</system>
  <antallFiler>2</antallFiler>
  <mappe xsi:type="saksmappe">
    <systemID>{uuid(rng)}</systemID>
    <tittel>{text(rng, 8)}</tittel>
    <offentligTittel>{text(rng, 8)}</offentligTittel>
    <beskrivelse>{text(rng, 120)}</beskrivelse>
    <noekkelord>{rng.choice(WORDS)}</noekkelord>
    <noekkelord>{rng.choice(WORDS)}</noekkelord>
    <klassifikasjon>
      <klassifikasjonssystemID>FE</klassifikasjonssystemID>
      <klasseID>{rng.randint(0, 999):03d}</klasseID>
      <tittel>{text(rng, 4)}</tittel>
    </klassifikasjon>
    <klassifikasjon>
      <klassifikasjonssystemID>GBN</klassifikasjonssystemID>
      <klasseID>{rng.randint(1, 99)}/{rng.randint(1, 999)}</klasseID>
    </klassifikasjon>
    <referanseEksternNoekkel>
      <mdk:fagsystem>Veikart</mdk:fagsystem>
      <mdk:noekkel>digi-bench:B{i:06d}</mdk:noekkel>
    </referanseEksternNoekkel>
    <saksaar>{year}</saksaar>
    <sakssekvensnummer>{i + 1}</sakssekvensnummer>
    <saksdato>{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</saksdato>
    <administrativEnhet>
      <mdk:navn>{text(rng, 2)}</mdk:navn>
    </administrativEnhet>
    <saksstatus>
      <mdk:kode>{rng.choice(STATUSES)}</mdk:kode>
    </saksstatus>
  </mappe>
  <registrering xsi:type="journalpost">
    <systemID>{uuid(rng)}</systemID>
"""
    for n in (1, 2):
        doc += f"""    <dokumentbeskrivelse>
      <dokumenttype>
        <mdk:kode>SØKNAD</mdk:kode>
      </dokumenttype>
      <dokumentstatus>
        <mdk:kode>F</mdk:kode>
      </dokumentstatus>
      <tittel>{text(rng, 6)}</tittel>
      <tilknyttetRegistreringSom>
        <mdk:kode>{"H" if n == 1 else "V"}</mdk:kode>
      </tilknyttetRegistreringSom>
      <dokumentobjekt>
        <versjonsnummer>1</versjonsnummer>
        <variantformat>
          <mdk:kode>P</mdk:kode>
        </variantformat>
        <format>
          <mdk:kode>PDF</mdk:kode>
        </format>
        <filnavn>dokument{n}.pdf</filnavn>
        <referanseDokumentfil>dokument{n}.pdf</referanseDokumentfil>
      </dokumentobjekt>
    </dokumentbeskrivelse>
"""
    doc += f"""    <tittel>{text(rng, 7)}</tittel>
"""
    for kind in ("EM", "IA"):
        doc += f"""    <korrespondansepart>
      <korrespondanseparttype>
        <mdk:kode>{kind}</mdk:kode>
      </korrespondanseparttype>
      <korrespondansepartNavn>{text(rng, 3)}</korrespondansepartNavn>
    </korrespondansepart>
"""
    doc += f"""    <referanseEksternNoekkel>
      <mdk:fagsystem>Saksbehandling</mdk:fagsystem>
      <mdk:noekkel>{rng.getrandbits(64):016x}</mdk:noekkel>
    </referanseEksternNoekkel>
    <journalaar>{year}</journalaar>
    <journalsekvensnummer>{rng.randint(1, 99999)}</journalsekvensnummer>
    <journalposttype>
      <mdk:kode>I</mdk:kode>
    </journalposttype>
    <journalstatus>
      <mdk:kode>{rng.choice(JSTATUSES)}</mdk:kode>
    </journalstatus>
    <journaldato>{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</journaldato>
  </registrering>
</arkivmelding>
"""
    return doc


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    total = int(float(sys.argv[2] if len(sys.argv) > 2 else 100) * 1_000_000)
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20241122)
    written = 0
    i = 0
    while written < total:
        doc = message(rng, i)
        if i % 5 == 4:
            data = b"\xff\xfe" + doc.replace("\n", "\r\n").encode("utf-16-le")
        else:
            data = b"\xef\xbb\xbf" + doc.encode("utf-8")
        with open(os.path.join(out, f"melding-{i:06d}.xml"), "wb") as f:
            f.write(data)
        written += len(data)
        i += 1
    print(f"{i} messages, {written / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main()

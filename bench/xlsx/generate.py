#!/usr/bin/env python3
"""Writes a portfolio workbook like the ones network secretariats keep, for bench_xlsx and pandas_read.py.

Usage: generate.py OUT.xlsx [ROWS]   (default 100000 rows, 9 columns, header in row 1)
"""
import datetime
import random
import sys

from openpyxl import Workbook

STATUSES = ["Idé", "Vurdert", "Prioritert", "Under utvikling", "Pilot", "Klar for innføring", "Innføring",
            "I drift", "På vent"]
MUNICIPALITIES = ["Stavanger", "Sandnes", "Sola", "Randaberg", "Haugesund", "Karmøy", "Time", "Klepp", "Hå",
                  "Gjesdal", "Strand", "Eigersund"]
THEMES = ["Helse", "Oppvekst", "Plan og bygg", "Informasjonssikkerhet", "Arkiv", "Velferdsteknologi", "Geodata"]
WORDS = ["Digital", "Felles", "Ny", "Smart", "Sikker", "Regional", "Helhetlig"]
THINGS = ["hjemmeoppfølging", "byggesak", "skoleplattform", "arkivløsning", "innbyggerdialog", "saksbehandling",
          "kartløsning", "legevakt", "barnehageopptak", "tilgangsstyring"]


def main() -> None:
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    rnd = random.Random(2025)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Portefølje")
    ws.append(["ID", "Prosjekt", "Status", "Kommuner", "Fagområde", "Oppstart", "Innføring",
               "Investering pr kommune", "Kategori"])
    start = datetime.date(2022, 1, 3)
    for i in range(1, rows + 1):
        kommuner = ", ".join(rnd.sample(MUNICIPALITIES, rnd.randint(1, 4)))
        oppstart = start + datetime.timedelta(days=rnd.randint(0, 1500))
        innforing = f"Q{rnd.randint(1, 4)} {oppstart.year + rnd.randint(1, 3)}"
        investering = round(rnd.uniform(10_000, 5_000_000), 2) if rnd.random() < 0.9 else rnd.randint(10, 5000) * 1000
        ws.append([f"DR-{i:06d}", f"{rnd.choice(WORDS)} {rnd.choice(THINGS)} {i}", rnd.choice(STATUSES), kommuner,
                   rnd.choice(THEMES), oppstart, innforing, investering, rnd.choice(["A", "B"])])
    wb.save(out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The baseline: reads the same workbook with pandas.read_excel(engine="openpyxl") and prints the time taken.

Usage: pandas_read.py FILE.xlsx
"""
import sys
import time

import pandas as pd


def main() -> None:
    t0 = time.perf_counter()
    frame = pd.read_excel(sys.argv[1], engine="openpyxl")
    seconds = time.perf_counter() - t0
    print(f"rows {len(frame)}  seconds {seconds:.3f}  rows/s {len(frame) / seconds:.0f}  columns {len(frame.columns)}")


if __name__ == "__main__":
    main()

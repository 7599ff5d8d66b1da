"""The Chinese text-and-time kernel: pure functions every feature shares (text, durations, dates, tables, enums)."""

"""Run every bench script in turn (`make bench`)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("ack_ingest.py", "handbook_eval.py", "reminders_scale.py", "digest_scale.py", "web_pages.py", "progress_scale.py",
               "collect_files.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=False)

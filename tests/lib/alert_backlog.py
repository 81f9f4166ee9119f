#!/usr/bin/env python3
"""alert_backlog.py - N pending alert files, as the sidecars write them
(copies of TEMPLATE with other names, events and messages), oldest first.

Usage: alert_backlog.py DIR TEMPLATE N
"""
import os
import sys

d, template, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(template).read()
sevs = ["ERROR", "WARNING", "INFO"]
for i in range(n):
    sev = sevs[i % 3]
    name = "alert-20260101T%02d%02d%02d.%03dZ-%s-backlog%d" % (
        i // 360000 % 24, i // 6000 % 60, i // 100 % 60, i % 100 * 10, sev, i)
    body = (text.replace("severity: WARNING", "severity: " + sev)
                .replace("event: drill", "event: backlog%d" % i)
                .replace("backlog message", "backlog message %d" % i))
    with open(os.path.join(d, name), "w") as f:
        f.write(body)

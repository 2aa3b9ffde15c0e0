#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Embed a text file as a C string: embed.py NAME INPUT OUTPUT
import json, sys
name, src, out = sys.argv[1:4]
text = open(src).read()
if src.endswith(".json"):
    json.loads(text)  # a broken document fails the build, not the server
with open(out, "w") as f:
    f.write("/* generated from %s by embed.py */\n" % src.split("/")[-1])
    f.write("static const char %s[] =\n" % name)
    for line in text.splitlines(True):
        f.write('\t"%s"\n' % line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
    f.write("\t;\n")

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Traffic probes for the integration tests: one verdict word per probe.
"""
probe.py tcp HOST PORT [TIMEOUT]   -> connected | refused | timeout | error:<why>
probe.py udp HOST PORT [TIMEOUT [SIZE]]
                                   -> reply | refused | timeout | error:<why>
probe.py udpflood HOST PORTLO PORTHI SECONDS PPS
                                   -> number of datagrams sent
probe.py udpsink PORT SECONDS          -> datagrams received on PORT (IPv4+IPv6)
probe.py rawsend IFACE DSTMAC SRCIP DSTIP VLAN COUNT MARKER
                                   -> ICMP echo frames sent, 802.1Q-tagged
                                      with VLAN unless it is 0
probe.py sniff IFACE MARKER SECONDS -> frames seen on IFACE carrying MARKER
"""
import errno
import json
import struct
import socket
import sys
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp(host, port, timeout):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as e:
        if e.errno == errno.ECONNREFUSED:
            return "refused"
        return "error:" + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
    return "connected"


def udp(host, port, timeout, size=14):
    payload = (b"sentinel-probe" * (size // 14 + 1))[:size]
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        s.send(payload)
        data = s.recv(2048)
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as e:
        if e.errno == errno.ECONNREFUSED:
            return "refused"
        return "error:" + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
    return "reply" if data == payload else "error:bad-reply"


def udpflood(host, lo, hi, seconds, pps):
    """Send datagrams cycling over dst ports lo..hi at about pps."""
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    gap = 1.0 / pps
    sent = 0
    port = lo
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = start + sent * gap
        if due > now:
            time.sleep(due - now)
        try:
            s.sendto(b"sentinel-swap", (host, port))
            sent += 1
        except OSError:
            pass
        port = lo if port >= hi else port + 1
    s.close()
    return sent


def udpsink(port, seconds):
    """Count datagrams arriving on port (IPv4 and IPv6) for seconds."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("::", port))
    end = time.monotonic() + seconds
    n = 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            s.recv(2048)
            n += 1
        except socket.timeout:
            break
    s.close()
    return n


def csum(data):
    if len(data) % 2:
        data += b"\0"
    t = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def rawsend(iface, dstmac, src, dst, vlan, count, marker):
    """ICMP echo requests in hand-made frames: VLAN tags without 8021q."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    srcmac = s.getsockname()[4]
    eth = bytes.fromhex(dstmac.replace(":", "")) + srcmac
    if vlan:
        eth += struct.pack("!HH", 0x8100, vlan & 0xfff)
    eth += struct.pack("!H", 0x0800)
    for seq in range(count):
        payload = marker.encode()
        icmp = struct.pack("!BBHHH", 8, 0, 0, 0x5e, seq) + payload
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0,
                         64, 1, 0, socket.inet_aton(src),
                         socket.inet_aton(dst))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        s.send(eth + ip + icmp)
        time.sleep(0.01)
    s.close()
    return count


def sniff(iface, marker, seconds):
    """Frames that reached the stack (passed by XDP) carrying marker."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    m = marker.encode()
    n = 0
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, addr = s.recvfrom(65535)
        except (socket.timeout, TimeoutError):
            break
        if addr[2] != socket.PACKET_OUTGOING and m in data:
            n += 1
    s.close()
    return n


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    cmd = argv[1]
    if cmd in ("tcp", "udp"):
        host, port = argv[2], int(argv[3])
        timeout = float(argv[4]) if len(argv) > 4 else 2.0
        if cmd == "tcp":
            print(tcp(host, port, timeout))
        else:
            size = int(argv[5]) if len(argv) > 5 else 14
            print(udp(host, port, timeout, size))
        return 0
    if cmd == "udpflood":
        print(udpflood(argv[2], int(argv[3]), int(argv[4]), float(argv[5]),
                       float(argv[6])))
        return 0
    if cmd == "udpsink":
        print(udpsink(int(argv[2]), float(argv[3])))
        return 0
    if cmd == "rawsend":
        print(rawsend(argv[2], argv[3], argv[4], argv[5], int(argv[6]),
                      int(argv[7]), argv[8]))
        return 0
    if cmd == "sniff":
        print(sniff(argv[2], argv[3], float(argv[4])))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

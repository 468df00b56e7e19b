"""A DNS server for tests (PyPI dnslib): answers over UDP on 127.0.0.1 from
a JSON zone file it reads again for every question, so a test changes a
record by rewriting the file. The zone maps a name to {"a": [addresses]}
or {"cname": "target"}; a CNAME is followed within the zone. Prints
"listening <port>" once it serves.

    python dns.py ZONE.json
"""

import json
import sys

from dnslib import A, CNAME, QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSServer


class ZoneFile(BaseResolver):
    def __init__(self, path):
        self.path = path

    def resolve(self, request, handler):
        reply = request.reply()
        with open(self.path) as f:
            zone = json.load(f)
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        if name not in zone:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for _ in range(8):
            record = zone.get(name)
            if record is None:
                break
            if "cname" in record:
                target = record["cname"].rstrip(".").lower()
                reply.add_answer(RR(name + ".", QTYPE.CNAME, rdata=CNAME(target + "."), ttl=1))
                if qtype == "CNAME":
                    break
                name = target
                continue
            if qtype == "A":
                for ip in record.get("a", []):
                    reply.add_answer(RR(name + ".", QTYPE.A, rdata=A(ip), ttl=1))
            break
        return reply


def main():
    server = DNSServer(ZoneFile(sys.argv[1]), port=0, address="127.0.0.1")
    print("listening", server.server.server_address[1], flush=True)
    server.start()


if __name__ == "__main__":
    main()

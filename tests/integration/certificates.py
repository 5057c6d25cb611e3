"""Test certificates made with the openssl CLI: CAs, and server and client
certificates they sign (the TLS listener tests and the https webhook tests)."""

import os
import shutil
import subprocess
import tempfile


def openssl(*args, cwd):
    done = subprocess.run(["openssl", *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=30)
    if done.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), done.stderr.decode()))


class Certificates:
    """Two unrelated CAs; a server certificate for 127.0.0.1/localhost and a
    client certificate (CN device-42), both signed by the first CA."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mqgate-tls-")
        self.serial = 1000
        self.ca = self._ca("ca", "mqgate test CA")
        self.other_ca = self._ca("other-ca", "unrelated CA")
        self.server = self.issue("server", "localhost", server=True)
        self.client = self.issue("client", "device-42", server=False)

    def path(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, name, cn):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + cn,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)
        return self.path(name + ".pem")

    def issue(self, name, cn, server, ca="ca"):
        """(cert, key) signed by the first CA (or "other-ca"), with a serial of its own."""
        self.serial += 1
        ext = name + ".ext"
        with open(self.path(ext), "w") as f:
            if server:
                f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
            else:
                f.write("extendedKeyUsage=clientAuth\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn, cwd=self.dir)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-set_serial", str(self.serial), "-days", "2", "-extfile", ext, "-out", name + ".pem",
                cwd=self.dir)
        return self.path(name + ".pem"), self.path(name + ".key")

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

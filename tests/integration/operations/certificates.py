"""Certificates for the TLS tests and benchmarks, made with the openssl command line: a CA, a
stranger CA, and certificates either signs (for localhost and 127.0.0.1 unless told otherwise,
or expired), each NAME.pem with its NAME.key."""

import subprocess
from pathlib import Path


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class Certificates:
    """A CA, certificates it signed (for localhost and 127.0.0.1 unless said), and a stranger CA."""

    def __init__(self, directory):
        self.dir = Path(directory, "pki")
        self.dir.mkdir()
        for ca in ("ca", "other-ca"):
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "30", "-subj", f"/CN={ca}", cwd=self.dir)
        (self.dir / "index.txt").touch()
        (self.dir / "serial").write_text("01\n")
        (self.dir / "ca.cnf").write_text(
            "[ca]\ndefault_ca = d\n[d]\ndir = .\ndatabase = ./index.txt\nnew_certs_dir = .\nserial = ./serial\n"
            "default_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[p]\ncommonName = supplied\n")

    def path(self, name):
        return str(self.dir / name)

    def issue(self, name, cn="localhost", sans="DNS:localhost,IP:127.0.0.1", ca="ca", expired=False):
        """name.pem and name.key; returns the certificate's path."""
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={cn}", "-addext", f"subjectAltName={sans}", cwd=self.dir)
        dates = ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"] if expired else ["-days", "30"]
        openssl("ca", "-batch", "-config", "ca.cnf", "-notext", "-in", f"{name}.csr", "-out", f"{name}.pem",
                "-keyfile", f"{ca}.key", "-cert", f"{ca}.pem", *dates, cwd=self.dir)
        return self.path(f"{name}.pem")

"""`pip install ./clients/python` into a fresh venv with no index and no local wheels: the build
backend is the standard-library one in _build/, so pip has nothing to fetch."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)


class PipInstallOffline(unittest.TestCase):
    def test_installs_into_a_fresh_venv_offline_and_imports(self):
        with tempfile.TemporaryDirectory() as tmp:
            venv = os.path.join(tmp, "venv")
            made = subprocess.run([sys.executable, "-m", "venv", venv], capture_output=True, text=True)
            if made.returncode != 0 or not os.path.exists(os.path.join(venv, "bin", "pip")):
                self.skipTest("this Python cannot make a venv with pip: %s" % made.stderr.strip()[-200:])
            env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
            env["PIP_NO_INDEX"] = "1"
            # A copy of the project, so the build leaves nothing in the checkout.
            src = os.path.join(tmp, "src")
            subprocess.run(["cp", "-r", PROJECT, src], check=True)
            pip = subprocess.run(
                [os.path.join(venv, "bin", "pip"), "install", "--no-index", src],
                capture_output=True, text=True, env=env, cwd=tmp,
            )
            self.assertEqual(pip.returncode, 0, pip.stdout + pip.stderr)
            probe = subprocess.run(
                [os.path.join(venv, "bin", "python"), "-c", "import provml, os; print(os.path.dirname(provml.__file__))"],
                capture_output=True, text=True, cwd=tmp,
            )
            self.assertEqual(probe.returncode, 0, probe.stderr)
            self.assertIn(os.path.join(venv, "lib"), probe.stdout)


if __name__ == "__main__":
    unittest.main()

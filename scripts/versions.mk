# SPDX-License-Identifier: GPL-2.0
# Pinned inputs.  Read by the Makefile and by scripts/deps.sh.
#
# The Debian package version of linux-source-6.12 that gpool is tested with.
# To move: pick a version from `apt-cache policy linux-source-6.12`, set it
# here, and run `make check` (the kernel tree under build/ is re-unpacked and
# the patch series re-applied automatically when this changes).
LINUX_DEB_VERSION := 6.12.117-1~deb12u1
# The upstream kernel version that package carries (checked after unpacking).
LINUX_VERSION := 6.12.117

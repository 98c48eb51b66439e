# SPDX-License-Identifier: GPL-2.0
#
# libgpool for the Makefiles that build it into their programs: include
# this file, then compile $(LIBGPOOL_SRCS) with $(LIBGPOOL_CFLAGS) and
# depend on $(LIBGPOOL_DEPS).

LIBGPOOL_DIR	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
LIBGPOOL_SRCS	:= $(addprefix $(LIBGPOOL_DIR)/,libgpool.c ctl.c sysfs.c)
LIBGPOOL_DEPS	:= $(LIBGPOOL_SRCS) $(LIBGPOOL_DIR)/libgpool.h \
		   $(LIBGPOOL_DIR)/libgpool.mk
LIBGPOOL_CFLAGS	:= -I$(LIBGPOOL_DIR)

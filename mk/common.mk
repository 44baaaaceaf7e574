# Common definitions for every vhostd Makefile.
# VD_ROOT must be set by the including Makefile.

-include $(VD_ROOT)/mk/config.mk

# Output directory; `make O=build/san CONFIG_ASAN=y CONFIG_UBSAN=y` builds a sanitizer tree.
O ?= build
BUILD := $(abspath $(VD_ROOT)/$(O))
OBJDIR := $(BUILD)/obj
LIBDIR := $(BUILD)/lib
BINDIR := $(BUILD)/bin
UTDIR := $(BUILD)/test/unit

CC ?= cc
AR ?= ar

CFLAGS_COMMON := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-Wmissing-prototypes -Wstrict-prototypes -Werror -fno-strict-aliasing \
	-I$(VD_ROOT)/include -MMD -MP -pthread $(DPDK_CFLAGS)

ifeq ($(CONFIG_DEBUG),y)
CFLAGS_COMMON += -O0 -g3 -DDEBUG
else
CFLAGS_COMMON += -O2 -g -DNDEBUG
endif

SAN_FLAGS :=
ifeq ($(CONFIG_ASAN),y)
SAN_FLAGS += -fsanitize=address
endif
ifeq ($(CONFIG_UBSAN),y)
SAN_FLAGS += -fsanitize=undefined -fno-sanitize-recover=undefined
endif
ifneq ($(SAN_FLAGS),)
CFLAGS_COMMON += $(SAN_FLAGS) -fno-omit-frame-pointer
endif

VD_CFLAGS = $(CFLAGS_COMMON) $(CFLAGS)
VD_LDFLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)

# Link order: higher layers first.  Each app/test lists the vd libraries it needs.
SYS_LIBS = $(DPDK_LIBS) $(JSONC_LIBS) $(AIO_LIBS) $(URING_LIBS) $(RBD_LIBS) -lnuma -lm -ldl

Q ?= @

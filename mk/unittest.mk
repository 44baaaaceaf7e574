# Build CUnit test binaries: set TESTS (basenames of *_ut.c in this directory) and VD_LIBS.
# Each test #includes the .c under test, so VD_LIBS lists only the libraries it does NOT include.
include $(VD_ROOT)/mk/common.mk

UT_REL := $(patsubst $(VD_ROOT)/test/unit/%,%,$(CURDIR))
UT_OUT := $(UTDIR)/$(UT_REL)
PROGS := $(addprefix $(UT_OUT)/,$(TESTS))
LIB_ARCHIVES := $(foreach l,$(VD_LIBS),$(LIBDIR)/libvd_$(l).a)
UT_CFLAGS := -I$(VD_ROOT)/lib -I$(VD_ROOT)/test/common -Wno-missing-prototypes

all: $(PROGS)

$(UT_OUT)/%: %.c $(LIB_ARCHIVES) $(VD_ROOT)/mk/config.mk $(UT_EXTRA_SRCS)
	@mkdir -p $(dir $@)
	@echo "  UT      $(UT_REL)/$*"
	$(Q)$(CC) $(VD_CFLAGS) $(UT_CFLAGS) -MF $@.d -o $@ $< $(UT_EXTRA_SRCS) \
		-Wl,--start-group $(LIB_ARCHIVES) -Wl,--end-group $(SYS_LIBS) -lcunit $(VD_LDFLAGS)

clean:
	rm -rf $(UT_OUT)

.PHONY: all clean
-include $(addsuffix .d,$(PROGS))

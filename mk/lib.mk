# Build one static library: set LIB (name) and SRCS, then include this file.
include $(VD_ROOT)/mk/common.mk

LIB_OBJDIR := $(OBJDIR)/lib/$(LIB)
OBJS := $(addprefix $(LIB_OBJDIR)/,$(SRCS:.c=.o))
ARCHIVE := $(LIBDIR)/libvd_$(LIB).a

all: $(ARCHIVE)

$(ARCHIVE): $(OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $(notdir $@)"
	$(Q)rm -f $@ && $(AR) crs $@ $(OBJS)

$(LIB_OBJDIR)/%.o: %.c $(VD_ROOT)/mk/config.mk
	@mkdir -p $(dir $@)
	@echo "  CC      lib/$(LIB)/$<"
	$(Q)$(CC) $(VD_CFLAGS) -Wno-error=unused-function -I. -c $< -o $@

clean:
	rm -rf $(LIB_OBJDIR) $(ARCHIVE)

.PHONY: all clean
-include $(OBJS:.o=.d)

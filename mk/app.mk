# Build one program: set APP, SRCS and VD_LIBS (vd libraries, highest layer first).
include $(VD_ROOT)/mk/common.mk

APP_OBJDIR := $(OBJDIR)/app/$(APP)
OBJS := $(addprefix $(APP_OBJDIR)/,$(SRCS:.c=.o))
LIB_ARCHIVES := $(foreach l,$(VD_LIBS),$(LIBDIR)/libvd_$(l).a)
PROG := $(BINDIR)/$(APP)

all: $(PROG)

$(PROG): $(OBJS) $(LIB_ARCHIVES)
	@mkdir -p $(dir $@)
	@echo "  LINK    $(notdir $@)"
	$(Q)$(CC) $(VD_LDFLAGS) -o $@ $(OBJS) -Wl,--start-group $(LIB_ARCHIVES) -Wl,--end-group $(SYS_LIBS)

$(APP_OBJDIR)/%.o: %.c $(VD_ROOT)/mk/config.mk
	@mkdir -p $(dir $@)
	@echo "  CC      app/$(APP)/$<"
	$(Q)$(CC) $(VD_CFLAGS) -I. -c $< -o $@

clean:
	rm -rf $(APP_OBJDIR) $(PROG)

.PHONY: all clean
-include $(OBJS:.o=.d)

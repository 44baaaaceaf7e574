/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (c) 2026 The vhostd authors
 */
#ifndef VHOSTD_ENV_INTERNAL_H
#define VHOSTD_ENV_INTERNAL_H

#include "vhostd/log.h"

VD_LOG_FLAG_DECLARE(env);

#endif

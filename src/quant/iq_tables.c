/* SPDX-License-Identifier: MIT */
/* The one definition of the IQ constant tables (generated from the gguf package; see iq.h). */
#include "quant/iq.h"

#include "quant/iq_tables_gen.h"

/* SPDX-License-Identifier: MIT */
/* Consumer of the installed library: includes the umbrella header, converts a few values. */
#include <gllmk/gllmk.h>
#include <stdio.h>

int main(void)
{
    const float src[3] = {1.0f, -2.5f, 65504.0f};
    gk_f16 half[3];
    float back[3];
    if (gk_cvt_f32_to_f16(src, half, 3) != GK_OK || gk_cvt_f16_to_f32(half, back, 3) != GK_OK)
        return 1;
    for (int i = 0; i < 3; i++)
        if (back[i] != src[i]) return 1;
    printf("consumer: gllmk %s, isa %s\n", gk_version(), gk_isa_name());
    return 0;
}

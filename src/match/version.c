/*
 * version.c - placeholder so the match library is never empty.
 */
#include "match/match.h"

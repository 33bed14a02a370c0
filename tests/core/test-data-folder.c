#include "nn-private.h"
int main (void) { return 1; }

#include "nn-private.h"

#include "desired-state/model.h"

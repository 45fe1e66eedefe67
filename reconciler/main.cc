#include <cstdio>

int main() {
  std::puts("reconcile");
  return 0;
}

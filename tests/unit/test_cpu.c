#include "cpu.h"
#include "unit.h"

int main(void)
{
	CHECK(cpu_limit_v2("200000 100000\n") == 2, "v2: 2 CPUs");
	CHECK(cpu_limit_v2("150000 100000") == 2, "v2: 1.5 CPUs round up");
	CHECK(cpu_limit_v2("50000 100000") == 1, "v2: half a CPU is one");
	CHECK(cpu_limit_v2("max 100000\n") == 0, "v2: max is no limit");
	CHECK(cpu_limit_v2("") == 0 && cpu_limit_v2("12x 100000") == 0 &&
		      cpu_limit_v2("100000") == 0,
	      "v2: text not understood is no limit");
	CHECK(cpu_limit_v1(-1, 100000) == 0, "v1: quota -1 is no limit");
	CHECK(cpu_limit_v1(300000, 100000) == 3, "v1: 3 CPUs");
	CHECK(cpu_limit_v1(100000, 0) == 0, "v1: no period is no limit");
	CHECK(cpu_usable() >= 1, "usable CPUs: at least one");
	return unit_done();
}

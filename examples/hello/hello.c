/* The example application: a static binary that greets and exits.
 * examples/hello/demo.sh builds it with  cc -static -Os  and puts it at /hello in the image. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("Hello from an App Container Image (example.com/hello)!\n");
	for (int i = 1; i < argc; i++)
		printf("argument %d: %s\n", i, argv[i]);
	return 0;
}

/* The floor of the CGI model: the cheapest program a web server can run per request (bench/run). */
#include <unistd.h>

int main(void)
{
	static const char out[] =
		"Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 26\r\n"
		"Cache-Control: no-store\r\n\r\n"
		"{\"message\":\"floor of CGI\"}";

	return write(STDOUT_FILENO, out, sizeof out - 1) == (ssize_t)(sizeof out - 1) ? 0 : 1;
}

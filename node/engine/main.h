/* main.h: the engine's entry point, all rpnd-engine's main needs of it (no libuv here). */
#ifndef RPN_ENGINE_MAIN_H
#define RPN_ENGINE_MAIN_H

int	engine_main(int argc, char **argv);

#endif

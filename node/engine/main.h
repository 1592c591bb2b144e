/* main.h: the engine's entry point, rpnd-engine's main() calls it. */
#ifndef RPN_ENGINE_MAIN_H
#define RPN_ENGINE_MAIN_H

int	engine_main(int argc, char **argv);

#endif
